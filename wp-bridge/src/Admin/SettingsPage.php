<?php
/**
 * WooCommerce -> Settings -> Order Monitor. WooCommerce renders it inside its own settings form
 * (nonce `woocommerce-settings`, `manage_woocommerce` checked by WooCommerce before save()).
 *
 * @package Woom\Bridge
 */

declare(strict_types=1);

namespace Woom\Bridge\Admin;

use Woom\Bridge\Plugin;

final class SettingsPage extends \WC_Settings_Page {

	public function __construct( private readonly TabView $view ) {
		$this->id    = Plugin::TAB_ID;
		$this->label = __( 'Order Monitor', 'woom' );
		parent::__construct();
	}

	/** The section links under the tab (WooCommerce prints them through this method). */
	public function output_sections() {
		$this->view->render_sections();
	}

	/** Inside WooCommerce's form: the connection fields, in the Connection section. */
	public function output() {
		$this->view->render_form_part();
	}

	public function save() {
		$this->view->save_connection();
	}
}
